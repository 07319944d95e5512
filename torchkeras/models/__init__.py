from torchkeras.models.functional import Functional  # registered for deserializing Keras's "Functional"
from torchkeras.models.model import Model
from torchkeras.models.sequential import Sequential
from torchkeras.saving.saving_api import load_model
from torchkeras.saving.saving_api import save_model
