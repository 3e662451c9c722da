"""Engines that make images (mock, classic; later diffusers, upstream) and the router over them."""
