from torchkeras.testing.layer_test import run_layer_test
