"""Development-only code: never shipped in the wheel, never imported by ``pipeline``.

``synth`` generates synthetic scanned documents with exact ground truth (samples, tests, benchmarks),
``garble`` damages clean text the way legacy OCR did, ``corpus_split`` defines the train / held-out split of
the shared clean corpus once for the whole project, and ``corpus`` reads that corpus for the restoration
builders and benchmark. Scripts, tests and benchmarks import it from a checkout of the repository.
"""
