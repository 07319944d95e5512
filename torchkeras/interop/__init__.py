"""Keras <-> torchkeras <-> plain torch: live-model conversion (`from_keras`, `to_keras`), plain state
dicts (`to_torch_state_dict`, `load_torch_state_dict`), `.safetensors` files, `torch.export` archives,
and the layer-by-layer parity check (`compare_models`). Real Keras is imported only by the functions that
need it."""

from torchkeras.interop.keras_conversion import from_keras
from torchkeras.interop.keras_conversion import to_keras
from torchkeras.interop.parity import compare_models
from torchkeras.interop.safetensors_file import load_safetensors
from torchkeras.interop.safetensors_file import save_safetensors
from torchkeras.interop.state_dict import load_torch_state_dict
from torchkeras.interop.state_dict import to_torch_state_dict
from torchkeras.interop.torch_export import export_model

__all__ = ["compare_models", "export_model", "from_keras", "load_safetensors", "load_torch_state_dict",
           "save_safetensors", "to_keras", "to_torch_state_dict"]
