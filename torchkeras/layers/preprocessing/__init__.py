"""Keras's preprocessing layers: rescaling, normalization, resizing, cropping and image augmentation."""

from torchkeras.layers.preprocessing.category_encoding import CategoryEncoding
from torchkeras.layers.preprocessing.center_crop import CenterCrop
from torchkeras.layers.preprocessing.discretization import Discretization
from torchkeras.layers.preprocessing.image_augmentation import *  # noqa: F401,F403
from torchkeras.layers.preprocessing.image_augmentation import __all__ as _augmentation_layers
from torchkeras.layers.preprocessing.normalization import Normalization
from torchkeras.layers.preprocessing.rescaling import Rescaling
from torchkeras.layers.preprocessing.resizing import Resizing

# Explicit, so that `from torchkeras.layers.preprocessing import *` (in torchkeras.layers) exports the layers
# and not the submodules: `preprocessing.normalization` must not replace the `layers.normalization` package.
__all__ = ["CategoryEncoding", "CenterCrop", "Discretization", "Normalization", "Rescaling", "Resizing", *_augmentation_layers]
