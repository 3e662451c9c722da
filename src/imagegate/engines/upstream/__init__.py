"""Engines that serve a model by calling a provider that hosts it.

    config.py     the ``[providers.NAME]`` tables: which API, where, with which key
    failures.py   an upstream's refusals and faults as TaskErrors that say who did what
    results.py    an upstream's result links downloaded into imagegate (links expire)
    events.py     upstream callbacks waking the engine that polls the upstream task
    kie.py        ``upstream_kie``: any Kie-compatible jobs API (Kie.ai, resellers, imagegate)
    pass_through.py  uncatalogued models forwarded as sent to a Kie upstream, and their price
    ideogram.py   ``upstream_ideogram``: Ideogram's own reframe endpoints
    sizes.py      imagegate's image sizes in an upstream's terms
"""
