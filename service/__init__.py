"""kserve-doctor: why a KServe InferenceService is not serving, with the evidence, and safe opt-in fixes.

`create_app()` is the application factory gunicorn serves (`gunicorn 'service:create_app()'`).
"""

from .app import create_app

__all__ = ["create_app"]
