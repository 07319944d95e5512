"""Keras's `keras.applications` modules: the layers that its model constructors define.

Importing this package registers those layers under the Keras module paths that `.keras` archives name
(`keras.src.applications.convnext.LayerScale`, ...), so that `torchkeras.saving.load_model` resolves
them.
"""

from torchkeras.applications import convnext, inception_resnet_v2
from torchkeras.applications.convnext import LayerScale, StochasticDepth
from torchkeras.applications.inception_resnet_v2 import CustomScaleLayer

__all__ = ["convnext", "inception_resnet_v2", "LayerScale", "StochasticDepth", "CustomScaleLayer"]
