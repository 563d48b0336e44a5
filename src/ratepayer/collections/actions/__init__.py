<<<<<<< HEAD
"""Collections workflows; each public function writes its audit row (staff.audit)."""
=======
"""Collections' state-changing operations, one module per part of the app."""
>>>>>>> main
