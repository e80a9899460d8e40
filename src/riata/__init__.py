"""riata: which clinical and genetic variables does a neural network actually need?"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("riata")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
