"""`python -m torchkeras convert MODEL.keras OUT.pt2|OUT.safetensors`: loads the file in torchkeras,
writes a `torch.export` archive (runs with no torchkeras import) or a `.safetensors` state dict (with the
model's config in its metadata), then runs the parity check against Keras and checks the written file
itself: reloaded (`torch.export.load`, or a model rebuilt from the `.safetensors` file alone), its
outputs must match Keras's within the output bound. Exit status as `parity`."""

import importlib.util
import os
import sys

import numpy as np
import torch

from torchkeras.cli.errors import CLIError
from torchkeras.cli.parity import add_check_arguments, check_file, title_for
from torchkeras.interop import parity as parity_lib

FORMATS = {".pt2": "torch.export archive", ".safetensors": "safetensors state dict"}


def add_parser(subparsers):
    """Registers `convert` (its `--device` defaults to cpu, so the archive loads on any machine)."""
    parser = subparsers.add_parser(
        "convert", help="convert a Keras model file to .pt2 (torch.export) or .safetensors",
        description=__doc__)
    parser.add_argument("model", help="a .keras (or legacy .h5) file")
    parser.add_argument("output", help="OUT.pt2 (torch.export) or OUT.safetensors (state dict)")
    parser.add_argument("--layout", choices=("keras", "torch"), default="keras",
                        help="weight layout of a .safetensors file (default keras; see "
                             "torchkeras.interop.state_dict)")
    add_check_arguments(parser, default_device="cpu")
    parser.set_defaults(run=run)
    return parser


def output_format(path):
    """The extension of `path` among `FORMATS`; raises `CLIError` for any other."""
    extension = os.path.splitext(str(path))[1]
    if extension not in FORMATS:
        choices = ", ".join(f"{ext} ({what})" for ext, what in FORMATS.items())
        raise CLIError(f"Cannot write {path}: the output must end in {choices}. Received extension "
                       f"{extension or '(none)'!r}.")
    return extension


def _structured(model, tensors):
    structure = getattr(model, "_inputs_structure", None)
    return parity_lib._structured(structure, list(model.inputs), tensors)


def _artifact_outputs(extension, path, model, inputs):
    """The outputs of the written file, reloaded, on `inputs` (a flat list in the model's input order)."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    if extension == ".pt2":
        runner = torch.export.load(path).module().to(device)
    else:
        from torchkeras.interop.safetensors_file import load_safetensors

        runner = load_safetensors(path).to(device).eval()
    tensors = [torch.as_tensor(np.asarray(x)).to(device) for x in inputs]
    with torch.no_grad():
        return parity_lib._flat_outputs(runner(_structured(model, tensors)))


def run_convert(model_path, output_path, stream=None, layout="keras", **options):
    """The `convert` subcommand as a function; returns the exit status (0 pass, 1 parity failure).

    Raises:
        CLIError: A wrong output extension, a missing or unloadable input file, Keras not installed.
    """
    from torchkeras.cli.report import print_report

    stream = stream or sys.stdout
    extension = output_format(output_path)
    if extension == ".pt2" and layout != "keras":
        raise CLIError("--layout applies to .safetensors outputs only.")
    if extension == ".safetensors" and importlib.util.find_spec("safetensors") is None:
        raise CLIError("Writing .safetensors needs the `safetensors` package: `pip install safetensors`.")
    if options.get("device") is None:
        options["device"] = "cpu"  # the archive keeps the weights' device: CPU loads anywhere
    report, keras_model, model, inputs = check_file(model_path, **options)
    if extension == ".pt2":
        try:
            model.export(output_path)
        except ValueError as error:
            raise CLIError(str(error)) from None
    else:
        from torchkeras.interop.safetensors_file import save_safetensors

        try:
            save_safetensors(model, output_path, layout=layout)
        except ValueError as error:
            raise CLIError(str(error)) from None
    print(f"Wrote {output_path} ({FORMATS[extension]}{', layout ' + layout if extension != '.pt2' else ''}).",
          file=stream)
    print_report(report, stream, title=title_for(model_path, keras_model, model, inputs))

    # Keras's outputs on the same inputs, against the file just written.
    keras_inputs_flat = parity_lib._keras_graph(keras_model).inputs
    by_name = dict(zip((parity_lib._input_name(t) for t in keras_inputs_flat), inputs))
    ordered = [by_name[parity_lib._input_name(t)] for t in model.inputs]
    keras_structure = getattr(parity_lib._keras_graph(keras_model), "_inputs_struct", None)
    expected = parity_lib._flat_outputs(
        keras_model(parity_lib._structured(keras_structure, list(keras_inputs_flat), inputs), training=False))
    received = _artifact_outputs(extension, output_path, model, ordered)
    artifact_ok = len(expected) == len(received)
    worst = 0.0
    for e, r in zip(expected, received):
        max_abs, _, _, passed, _ = parity_lib.compare_arrays(parity_lib._to_numpy(e), parity_lib._to_numpy(r),
                                                             report.atol, 0.0)
        worst = max(worst, max_abs)
        artifact_ok = artifact_ok and passed
    verdict = "PASS" if artifact_ok else "FAIL"
    print(f"{verdict}: {output_path} reloaded on its own: outputs max abs diff {worst:.2e} vs Keras "
          f"(bound {report.atol:g}).", file=stream)
    return 0 if report.passed and artifact_ok else 1


def run(args, stream=None):
    return run_convert(args.model, args.output, stream=stream, layout=args.layout, seed=args.seed,
                       batch_size=args.batch_size, device=args.device, atol=args.atol,
                       layer_atol=args.layer_atol, layer_rtol=args.layer_rtol)
