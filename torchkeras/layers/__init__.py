"""Keras layers as torch modules (`from torchkeras import layers`)."""

from torchkeras.layers.input_spec import InputSpec
from torchkeras.layers.layer import Layer
from torchkeras.layers.core.dense import Dense
from torchkeras.layers.core.input_layer import Input, InputLayer
