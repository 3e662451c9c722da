"""The classic engine: CPU reframing (outpainting) by patch synthesis, with no model weights."""
