"""`python -m torchkeras ...`: `parity` (layer-by-layer check of a Keras file) and `convert` (a Keras
file to a `torch.export` archive or a `.safetensors` state dict). One subcommand per module."""
