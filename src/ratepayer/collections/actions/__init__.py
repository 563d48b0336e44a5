"""Collections workflows; each public function writes its audit row (staff.audit)."""
