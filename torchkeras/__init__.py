"""torchkeras: Keras 3 as plain PyTorch. `import torchkeras as keras` runs ordinary Keras code."""

from torchkeras import activations, backend, constraints, initializers, regularizers
from torchkeras import dtype_policies, layers, models, saving
from torchkeras import applications
from torchkeras import optimizers
from torchkeras import losses
from torchkeras import metrics
from torchkeras import callbacks
from torchkeras import config, mixed_precision
from torchkeras.dtype_policies import DTypePolicy
from torchkeras.layers import Input, InputSpec, Layer
from torchkeras.models import Model, Sequential
from torchkeras.variables import Variable

__version__ = "0.1.0"
