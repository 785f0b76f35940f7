"""Train some of a backtest's walk-forward windows, and nothing else (one parallel task).

FreqAI trains a backtest's windows one after another inside the backtest. Their trainings are
independent of each other, so :mod:`meta_agent.rl.train_jobs` hands them out as tasks: each
task is a fresh process that sets Freqtrade up exactly as ``freqtrade backtesting`` would (same
arguments, same data, the features computed once over the whole timerange), then trains and
saves the windows it was given where FreqAI looks for them. A backtest run afterwards finds
every window's model and only decides, carrying the agent's state from window to window.

This module is that task's side: :class:`WindowShare` says which windows a task trains, and
:func:`train_windows` mirrors the training branch of FreqAI's
``IFreqaiModel.start_backtesting`` for them.
"""

from __future__ import annotations

import logging
import resource
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from freqtrade.freqai.data_kitchen import FreqaiDataKitchen
from freqtrade.freqai.utils import get_tb_logger
from pandas import DataFrame

if TYPE_CHECKING:
    from freqtrade.strategy import IStrategy

    from meta_agent.rl.model import MetaRLModelBase

logger = logging.getLogger(__name__)

#: How a training task's log states its peak resident memory (read by ``make bench``).
PEAK_MEMORY_LINE = "Peak memory of this training task:"


@dataclass(frozen=True)
class WindowShare:
    """Windows ``part``, ``part + parts``, ``part + 2 * parts``, ... of each pair's walk-forward
    (0-based, in time order): striping keeps the tasks' shares of early and late windows even."""

    part: int
    parts: int

    def __post_init__(self) -> None:
        if not 0 <= self.part < self.parts:
            raise ValueError(
                f"WindowShare needs 0 <= part < parts; got part {self.part} of {self.parts}."
            )

    def includes(self, index: int) -> bool:
        return index % self.parts == self.part


@dataclass(frozen=True)
class TrainedWindow:
    """One window a task trained (or found already trained), as FreqAI names its model."""

    pair: str
    index: int
    model_filename: str
    data_path: str
    trained_timestamp: int
    reused: bool


def train_windows(
    model: MetaRLModelBase,
    dataframe: DataFrame,
    metadata: dict[str, Any],
    dk: FreqaiDataKitchen,
    strategy: IStrategy,
    share: WindowShare,
) -> list[TrainedWindow]:
    """Train and save the windows of ``share`` for ``metadata["pair"]``; no prediction.

    The same steps, in the same order, as FreqAI's backtest takes for a window without a saved
    model, so the models are the ones a sequential backtest would train. A window whose model
    exists is left as it is. A failed training raises (naming the window), never skips.
    """
    pair = metadata["pair"]
    dataframe = dk.use_strategy_to_populate_indicators(
        strategy, prediction_dataframe=dataframe, pair=pair
    )
    done = []
    windows = zip(dk.training_timeranges, dk.backtesting_timeranges, strict=False)
    for index, (tr_train, tr_backtest) in enumerate(windows):
        if not share.includes(index):
            continue
        model.dd.get_pair_dict_info(pair)
        model.training_timerange = tr_train
        stamp = int(tr_train.stopts)
        dk.set_paths(pair, stamp)
        dk.set_new_model_names(pair, stamp)
        reused = model.model_exists(dk)
        if not reused:
            logger.info(
                "Training %s window %d (%s, backtest %s).",
                pair,
                index,
                tr_train.timerange_str,
                tr_backtest.timerange_str,
            )
            base_train = dataframe.loc[dataframe["date"] < tr_train.stopdt, :]
            base_train = strategy.set_freqai_targets(base_train, metadata=metadata)
            frame = dk.slice_dataframe(dk.buffer_timerange(tr_train), base_train)
            frame = dk.remove_special_chars_from_feature_names(frame)
            dk.get_unique_classes_from_labels(frame)
            dk.find_features(frame)
            dk.find_labels(frame)
            model.tb_logger = get_tb_logger(model.dd.model_type, dk.data_path, False)
            try:
                trained = model.train(frame, pair, dk)
            except Exception as err:
                raise RuntimeError(
                    f"Training {pair} window {index} ({tr_train.timerange_str}) failed: "
                    f"{type(err).__name__}: {err}"
                ) from err
            finally:
                model.tb_logger.close()
            model.dd.pair_dict[pair]["trained_timestamp"] = stamp
            model.dd.save_data(trained, pair, dk)
        done.append(TrainedWindow(pair, index, dk.model_filename, str(dk.data_path), stamp, reused))
    return done


def run_task(backtest_args: list[str], pair: str, share: WindowShare) -> list[TrainedWindow]:
    """In this process: set Freqtrade up as ``freqtrade backtesting <backtest_args>`` for
    ``pair`` (offline markets) and train ``share`` of its windows."""
    from freqtrade.commands import Arguments
    from freqtrade.commands.optimize_commands import setup_optimize_configuration
    from freqtrade.enums import RunMode
    from freqtrade.optimize.backtesting import Backtesting

    from meta_agent.errors import ConfigError
    from meta_agent.offline import offline_markets
    from meta_agent.rl.model import MetaRLModelBase

    args = Arguments(["backtesting", *backtest_args, "--pairs", pair]).get_parsed_arg()
    config = setup_optimize_configuration(args, RunMode.BACKTEST)
    with offline_markets():
        backtesting = Backtesting(config)
        data, _ = backtesting.load_bt_data()
        strategy = backtesting.strategylist[0]
        # As Freqtrade's own recursive-analysis does: the strategy gets its data provider
        # and FreqAI model (ft_bot_start) without running the backtest.
        backtesting._set_strategy(strategy)
        model = getattr(strategy, "freqai", None)
        if not isinstance(model, MetaRLModelBase):
            raise ConfigError(
                f"Strategy {strategy.get_strategy_name()} does not run MetaRLModel "
                f"(`freqaimodel` = {config.get('freqaimodel')!r}); only MetaRL trains in parallel "
                "(MetaRLPortfolioModel trains once per window for all pairs inside the backtest)."
            )
        model.window_share = share
        strategy.advise_indicators(data[pair], {"pair": pair})
    return model.trained_windows


def main(argv: list[str] | None = None) -> int:
    """``python -m meta_agent.rl.walkforward PAIR PART PARTS RESULT_JSON -- <backtest args>``:
    the process a training task runs (see :mod:`meta_agent.rl.train_jobs`)."""
    import json
    from dataclasses import asdict
    from pathlib import Path

    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--")
    pair, part, parts, result = argv[:split]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    windows = run_task(argv[split + 1 :], pair, WindowShare(int(part), int(parts)))
    Path(result).write_text(json.dumps([asdict(window) for window in windows]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    logger.info("%s %.0f MiB", PEAK_MEMORY_LINE, peak)
    return 0


if __name__ == "__main__":
    sys.exit(main())
