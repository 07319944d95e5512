from torchkeras.models.model import Model
from torchkeras.models.sequential import Sequential
