"""The demo utility (`ratepayer demo`), the `ratepayer serve` command, the
synthetic utility of the benchmarks and kill-and-resume tests (``synthetic``)
and the sample rates it bills with (``sample_rates``). A top-layer app: it may import every other
app and nothing imports it."""
