"""Keras's random image augmentation layers (active in training, identity at inference; RandomCrop
center-crops at inference).

Each layer draws its random parameters with `get_random_transformation` and applies them with
`transform_images`, as Keras 3's image preprocessing layers do; see `base_augmentation.py`.
"""

from torchkeras.layers.preprocessing.image_augmentation.random_brightness import RandomBrightness
from torchkeras.layers.preprocessing.image_augmentation.random_contrast import RandomContrast
from torchkeras.layers.preprocessing.image_augmentation.random_crop import RandomCrop
from torchkeras.layers.preprocessing.image_augmentation.random_flip import RandomFlip
from torchkeras.layers.preprocessing.image_augmentation.random_rotation import RandomRotation
from torchkeras.layers.preprocessing.image_augmentation.random_translation import RandomTranslation
from torchkeras.layers.preprocessing.image_augmentation.random_zoom import RandomZoom

__all__ = [
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
]
