"""What the metering app offers the console's navigation (see staff.nav)."""

from ratepayer.staff.nav import NavEntry

METER_READING = "Meter reading"

ENTRIES = [
    NavEntry("Meter reads", "metering:entry", "reads.manage", order=45, shortcut="m", menu=METER_READING),
    NavEntry("Read exceptions", "metering:exceptions", "reads.manage", order=46, shortcut="x", menu=METER_READING),
]
