"""`python -m torchkeras parity [MODEL.keras]`: loads the file in Keras and in torchkeras, runs both on
seeded random inputs, and prints every layer's max absolute / relative difference against DESIGN.md's
bounds, the first diverging layer marked. Without a file, a built-in demo model is trained in Keras,
saved, and checked. Exit status: 0 pass, 1 parity failure, 2 usage error (no traceback)."""

import os
import sys
import tempfile

from torchkeras.cli.errors import CLIError
from torchkeras.interop import parity as parity_lib


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "parity", help="compare a Keras model file with its torchkeras load, layer by layer",
        description=__doc__)
    parser.add_argument("model", nargs="?", help="a .keras (or legacy .h5) file; omit it to check the "
                                                 "built-in demo model")
    add_check_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def add_check_arguments(parser, default_device="cuda when available"):
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    parser.add_argument("--batch-size", type=int, default=4, help="batch size of the inputs (default 4)")
    parser.add_argument("--device", default=None, help=f"torchkeras's device (default: {default_device})")
    parser.add_argument("--atol", type=float, default=parity_lib.OUTPUT_ATOL,
                        help="bound on the model outputs (default 1e-4)")
    parser.add_argument("--layer-atol", type=float, default=parity_lib.LAYER_ATOL,
                        help="absolute part of each layer's bound (default 1e-5)")
    parser.add_argument("--layer-rtol", type=float, default=parity_lib.LAYER_RTOL,
                        help="part of each layer's bound relative to its largest output (default 1e-5)")


def check_file(path, seed=0, batch_size=4, device=None, atol=parity_lib.OUTPUT_ATOL,
               layer_atol=parity_lib.LAYER_ATOL, layer_rtol=parity_lib.LAYER_RTOL, torchkeras_hook=None):
    """Loads `path` on both sides and compares them.

    Args:
        path: A Keras model file.
        seed: Seed of the random inputs.
        batch_size: Batch size of the inputs.
        device: Device of the torchkeras model (default: cuda when available, as Keras's torch backend).
        atol: Bound on the model outputs.
        layer_atol: Absolute part of each layer's bound.
        layer_rtol: Relative part of each layer's bound.
        torchkeras_hook: Optional callable given the loaded torchkeras model before the comparison (to
            inspect or deliberately perturb it).

    Returns:
        `(report, keras_model, torchkeras_model, inputs)`.

    Raises:
        CLIError: The file is missing or does not load, or Keras is not installed.
    """
    from torchkeras.cli.loading import load_pair

    if batch_size < 1:
        raise CLIError(f"--batch-size must be at least 1. Received: {batch_size}")
    keras_model, model = load_pair(path, device=device)
    if torchkeras_hook is not None:
        torchkeras_hook(model)
    try:
        inputs = parity_lib.sample_inputs(keras_model, batch_size=batch_size, seed=seed)
    except ValueError as error:
        raise CLIError(str(error)) from None
    report = parity_lib.compare_models(keras_model, model, inputs=inputs, seed=seed, atol=atol,
                                       layer_atol=layer_atol, layer_rtol=layer_rtol)
    return report, keras_model, model, inputs


def title_for(path, keras_model, model, inputs):
    import keras

    shapes = ", ".join(f"{tuple(x.shape)} {x.dtype}" for x in inputs)
    device = next((p.device for p in model.parameters()), "cpu")
    return (f"Parity of {os.path.basename(path)} ('{keras_model.name}'): Keras {keras.__version__} "
            f"({keras.backend.backend()} backend) vs torchkeras on {device}; inputs {shapes}")


def run_parity(path=None, stream=None, torchkeras_hook=None, **options):
    """The `parity` subcommand as a function: prints the report to `stream` and returns the exit status.

    Args:
        path: A Keras model file, or None for the built-in demo model.
        stream: Where to print (default `sys.stdout`).
        torchkeras_hook: See `check_file`.
        **options: `seed`, `batch_size`, `device`, `atol`, `layer_atol`, `layer_rtol`.

    Returns:
        0 when every bound holds, 1 otherwise.

    Raises:
        CLIError: See `check_file`.
    """
    from torchkeras.cli.report import print_report

    stream = stream or sys.stdout
    with tempfile.TemporaryDirectory() as folder:
        if path is None:
            from torchkeras.cli.demo import build_demo_file

            path = build_demo_file(os.path.join(folder, "demo.keras"), stream=stream)
        report, keras_model, model, inputs = check_file(path, torchkeras_hook=torchkeras_hook, **options)
        print_report(report, stream, title=title_for(path, keras_model, model, inputs))
    return 0 if report.passed else 1


def run(args, stream=None):
    return run_parity(args.model, stream=stream, seed=args.seed, batch_size=args.batch_size,
                      device=args.device, atol=args.atol, layer_atol=args.layer_atol,
                      layer_rtol=args.layer_rtol)
