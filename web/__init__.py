"""Canal Events web layer: the Litestar app, thin controllers, guards and templates."""
