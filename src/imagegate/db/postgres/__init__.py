"""The stores on PostgreSQL: the scale-out topology (N API processes, M workers)."""
