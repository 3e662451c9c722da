"""Engines that make images (mock, later classic, diffusers, upstream) and the router over them."""
