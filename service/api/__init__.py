"""The HTTP shell: Flask blueprints over the core, and the one error shape."""
