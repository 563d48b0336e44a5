"""Snohomish County places for the demo utility: cities with their real ZIP
codes, which utility serves them, phone area codes and street names.

Phone numbers are drawn from 555-0100..555-0199, the range set aside for
fiction, so no generated number belongs to a real person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    zips: tuple[str, ...]
    weight: int  # roughly the population in thousands
    area_code: str
    electric: bool  # inside the PUD's service area
    water_sewer: bool  # inside the water-sewer district
    streets: tuple[str, ...]  # named streets; grid addresses are generated too
    grid_suffix: tuple[str, ...]  # quadrant suffixes used by the county grid here


# The PUD serves the north and east of the county; the water-sewer district
# the southwest. Lake Stevens and Mukilteo are in both: those premises get all
# three services.
CITIES: tuple[City, ...] = (
    City("Everett", ("98201", "98203", "98204", "98208"), 112, "425", True, False,
         ("Colby Ave", "Rucker Ave", "Hoyt Ave", "Broadway", "Evergreen Way", "Grand Ave", "Hewitt Ave",
          "Pacific Ave", "Cedar St", "Lombard Ave", "Oakes Ave", "Wetmore Ave", "Pine St", "Walnut St",
          "Casino Rd", "Beverly Blvd", "Mukilteo Blvd", "Silver Lake Rd", "Madison St", "Holly Dr"),
         ("SE", "SW", "W")),
    City("Marysville", ("98270", "98271"), 72, "360", True, False,
         ("State Ave", "Grove St", "Cedar Ave", "Beach Ave", "Sunnyside Blvd", "Soper Hill Rd",
          "Shoultes Rd", "Sorgenfrei Rd", "Getchell Rd", "Armar Rd", "Kellogg Marsh Rd", "Alder Ave"),
         ("NE", "NW")),
    City("Edmonds", ("98020", "98026"), 43, "425", False, True,
         ("Main St", "Dayton St", "Olympic View Dr", "Caspers St", "Walnut St", "Sunset Ave",
          "Puget Dr", "Maplewood Dr", "Hindley Ln", "Pine St", "Bowdoin Way", "Edmonds Way"),
         ("W", "SW")),
    City("Lynnwood", ("98036", "98037", "98087"), 41, "425", False, True,
         ("Alderwood Mall Pkwy", "Olympic View Dr", "Maple Rd", "Filbert Rd", "Cypress Way", "Scriber Lake Rd",
          "Meadowdale Beach Rd", "Larch Way", "Poplar Way", "Butternut Rd"),
         ("W", "SW")),
    City("Lake Stevens", ("98258",), 36, "425", True, True,
         ("Vernon Rd", "Lundeen Pkwy", "Callow Rd", "Grade Rd", "Machias Rd", "Lake Stevens Rd",
          "Frontier Cir", "Hartford Dr", "Cedar Rd", "Sunnyside Dr"),
         ("NE", "SE")),
    City("Mukilteo", ("98275",), 21, "425", True, True,
         ("Harbour Pointe Blvd", "Mukilteo Speedway", "Park Ave", "Webster Way", "Goat Trail Loop Rd",
          "Chennault Beach Rd", "Possession Way", "Marine View Dr", "Loveland Ave", "Lincoln Ave"),
         ("W", "SW")),
    City("Arlington", ("98223",), 21, "360", True, False,
         ("Olympic Ave", "Burn Rd", "Highland Dr", "Gifford Ave", "Stillaguamish Ave", "Jensen Rd",
          "Smokey Point Blvd", "Cemetery Rd", "Brekhus Rd", "Burke Ave"),
         ("NE", "NW")),
    City("Monroe", ("98272",), 19, "360", True, False,
         ("Main St", "Lewis St", "Fryelands Blvd", "Blueberry Ln", "Kelsey St", "Chain Lake Rd",
          "Old Owen Rd", "Tester Rd", "Woods Creek Rd", "Terrace St"),
         ("SE",)),
    City("Snohomish", ("98290", "98296"), 10, "360", True, False,
         ("First St", "Second St", "Avenue D", "Maple Ave", "Pine Ave", "Bickford Ave", "Airport Way",
          "Three Lakes Rd", "Springhetti Rd", "Pilchuck Ave", "Ludwig Rd", "Riverview Rd"),
         ("SE", "NE")),
    City("Granite Falls", ("98252",), 5, "360", True, False,
         ("Mountain Loop Hwy", "Granite Ave", "Stanley St", "Alder Ave", "Jordan Rd", "Menzel Lake Rd",
          "Robe Menzel Rd", "Quarry Rd"),
         ("NE",)),
)

GRID_KINDS = ("St", "Ave", "Pl", "Dr", "Ct", "Way")
UNIT_PREFIXES = ("Apt", "Unit", "Ste")

EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

BUSINESS_KINDS = (
    "Auto Repair", "Family Dental", "Coffee Co.", "Hardware", "Veterinary Clinic", "Bakery", "Dry Cleaners",
    "Pizza", "Tire & Brake", "Fitness", "Marine Supply", "Insurance Agency", "Physical Therapy", "Law Office",
    "Florist", "Brewing Co.", "Taqueria", "Pho House", "Hair Studio", "Landscaping", "Storage", "Car Wash",
    "Grocery", "Pharmacy", "Montessori", "Animal Hospital", "Plumbing & Heating", "Credit Union Branch",
)
INDUSTRY_KINDS = (
    "Aerospace Components", "Precision Machining", "Cold Storage", "Lumber Mill", "Creamery", "Composites",
    "Boatworks", "Metal Fabrication", "Food Processing", "Printing", "Plastics", "Packaging",
)
REGIONAL_NAMES = (
    "Cascade", "Pilchuck", "Stillaguamish", "Puget", "Sky Valley", "Possession Sound", "Evergreen", "Mt. Pilchuck",
    "Salish", "Snoqualmie", "North Sound", "Whitehorse", "Three Lakes",
)
PUBLIC_AUTHORITIES = (
    "City of {city}", "{city} School District", "{city} Public Library", "Snohomish County Fire District {n}",
    "Snohomish County Public Works", "{city} Parks and Recreation", "Port of {city}", "{city} Senior Center",
)

CONTACT_ROLES = ("Facilities manager", "Accounts payable", "Owner", "Office manager", "Plant engineer",
                 "Energy manager", "Property manager")

NOTE_TEMPLATES = (
    ("call", "Customer called about the bill amount; explained the {season} usage increase."),
    ("call", "Customer asked for the due date to be moved; explained bill cycle {cycle}."),
    ("call", "Customer reported a flickering porch light; referred to line crew, no outage found."),
    ("note", "Gate code for the meter reader: {code}. Dog in yard."),
    ("note", "Meter behind locked gate; reader to call ahead."),
    ("email", "Sent the paperless billing enrollment link."),
    ("visit", "Customer paid at the counter and asked about the low-income discount; gave the application."),
    ("letter", "Mailed the landlord notification letter."),
    ("call", "Customer asked about budget billing; will decide after the winter bills."),
    ("note", "Customer prefers Spanish-language documents."),
)
