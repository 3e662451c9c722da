"""The ``diffusers`` engine: open models (Qwen-Image-Edit, FLUX.1 Kontext, FLUX.1 Fill, a
text-to-image pipeline) on a GPU, from weights on disk. docs/gpu.md is the operator's guide.

    config.py   the ``[engines.diffusers]`` table: pipelines, weights, device, batching,
                acceleration; checked without importing torch
    mapping.py  each model's input as a pipeline request (rows of prompt, seed, image)
    batcher.py  compatible requests gathered into one forward pass
    device.py   the GPU thread: loading (memory-aware), acceleration, running a batch
    output.py   generated images as output files (size, pasted source, format)
    engine.py   DiffusersEngine: the Engine protocol over the above; errors translated

Nothing here imports torch at import time: the API and the other engines never load it.
"""
