"""The stores on one SQLite file: the embedded topology (``imagegate serve``)."""
