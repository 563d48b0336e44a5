"""The demo utility (`ratepayer demo`), the `ratepayer serve` command and the
helpers the search benchmark uses. A top-layer app: it may import every other
app and nothing imports it."""
