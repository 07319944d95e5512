from torchkeras.layers.core.dense import Dense
from torchkeras.layers.core.input_layer import Input, InputLayer, KerasTensor
from torchkeras.layers.core.einsum_dense import EinsumDense
from torchkeras.layers.core.embedding import Embedding
from torchkeras.layers.core.identity import Identity
from torchkeras.layers.core.lambda_layer import Lambda
from torchkeras.layers.core.masking import Masking
from torchkeras.layers.core.reversible_embedding import ReversibleEmbedding
from torchkeras.layers.core.wrapper import Wrapper
