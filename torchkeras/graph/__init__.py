"""The functional API's machinery: symbolic tensors, the nodes that connect layers, and the emission of a
recorded graph as a `torch.fx.GraphModule`. This package is the only place that touches `torch.fx`."""
