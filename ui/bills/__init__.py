"""缴费: the bill payment wizard opened from the customer record (Ctrl+J)."""
