"""The flat tree of MetaRL's exceptions (one base class, one subclass per failure kind)."""

from freqtrade.exceptions import OperationalException


class MetaRLError(Exception):
    """Base class of every error MetaRL raises on purpose."""


class ConfigError(MetaRLError, OperationalException):
    """A configuration value is missing, unknown or out of range; the message names the key.

    Also a Freqtrade ``OperationalException``, so Freqtrade's CLI prints the one line (no
    traceback) and exits with status 2.
    """


class UnknownSourceError(MetaRLError, KeyError):
    """A signal-source id is not registered; the message suggests the closest ids."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class SignalContractError(MetaRLError):
    """A signal source returned a frame that breaks the contract; names source and column."""


class DataImportError(MetaRLError):
    """An input file cannot be imported; the message names the file, the line and the cause."""


class SnapshotError(MetaRLError):
    """A pinned market snapshot is missing or malformed."""


class FeedUnavailableError(MetaRLError):
    """A live feed has no usable data now; its sources report ``available=False``."""


class ObservationContractError(MetaRLError, OperationalException):
    """A trained model's observation contract does not match the features it is given."""


class ModelLoadError(MetaRLError, OperationalException):
    """A saved model cannot be loaded; the message names its file and the reason."""


class ReplayError(MetaRLError):
    """A replay cannot start or go on (no recorded candles for it, the replay ended, or FreqAI
    owes a model too long)."""


class TaskFailedError(MetaRLError):
    """A job of a parallel run raised or its worker kept dying; the message names the job."""


class RateLimitedError(FeedUnavailableError):
    """A provider answered 429; ``retry_after`` is how many seconds it asked us to wait."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
