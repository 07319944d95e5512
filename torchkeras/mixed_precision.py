"""`keras.mixed_precision`: the global dtype policy and the loss-scaling optimizer, under Keras's names."""

from torchkeras.dtype_policies import DTypePolicy, global_policy, set_global_policy

Policy = DTypePolicy
dtype_policy = global_policy
set_dtype_policy = set_global_policy


def __getattr__(name):
    # The optimizer lives with the optimizers; imported lazily so this module stays import-cycle free.
    if name == "LossScaleOptimizer":
        from torchkeras.optimizers import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module 'torchkeras.mixed_precision' has no attribute {name!r}")


__all__ = ["DTypePolicy", "Policy", "global_policy", "set_global_policy", "dtype_policy",
           "set_dtype_policy", "LossScaleOptimizer"]
