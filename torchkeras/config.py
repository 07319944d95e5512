"""`keras.config`: global settings (default float dtype, image data format, dtype policy)."""

from torchkeras.backend import floatx, image_data_format, set_image_data_format
from torchkeras.dtype_policies import global_policy as dtype_policy
from torchkeras.dtype_policies import set_global_policy as set_dtype_policy

__all__ = ["floatx", "image_data_format", "set_image_data_format", "dtype_policy", "set_dtype_policy"]
