"""Convolution layers, with Keras's aliases."""

# Convolutions, depthwise and separable convolutions (keep this block together).
from torchkeras.layers.convolutional.conv1d import Conv1D
from torchkeras.layers.convolutional.conv2d import Conv2D
from torchkeras.layers.convolutional.conv3d import Conv3D
from torchkeras.layers.convolutional.depthwise_conv1d import DepthwiseConv1D
from torchkeras.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from torchkeras.layers.convolutional.separable_conv1d import SeparableConv1D
from torchkeras.layers.convolutional.separable_conv2d import SeparableConv2D

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D

# Transposed convolutions (Conv1DTranspose / Conv2DTranspose / Conv3DTranspose) and Keras's aliases.
from torchkeras.layers.convolutional.conv1d_transpose import Conv1DTranspose  # noqa: E402
from torchkeras.layers.convolutional.conv2d_transpose import Conv2DTranspose  # noqa: E402
from torchkeras.layers.convolutional.conv3d_transpose import Conv3DTranspose  # noqa: E402

Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (Conv1DTranspose, Conv2DTranspose,
                                                                          Conv3DTranspose)
if "__all__" in globals():
    __all__ += ["Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1DTranspose",  # noqa: F405
                "Convolution2DTranspose", "Convolution3DTranspose"]
