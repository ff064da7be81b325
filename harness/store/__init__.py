"""The signal store: a zarr v3 group, sharded along segments, readable with ``xarray.open_zarr``."""

from harness.store.reader import SignalStore, open_store, validate_store
from harness.store.schema import FORMAT_NAME, FORMAT_VERSION
from harness.store.writer import StoreWriter

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "SignalStore", "StoreWriter", "open_store", "validate_store"]
