"""FreqAI's walk-forward windows in a backtest, as MetaRL's models use them."""

from __future__ import annotations

from pathlib import Path

from freqtrade.enums import RunMode
from freqtrade.freqai.data_kitchen import FreqaiDataKitchen


def decide_every_window(dk: FreqaiDataKitchen) -> None:
    """Make ``dk`` answer FreqAI's "are this window's cached predictions valid?" with no.

    The check also tells FreqAI where the window's predictions are written afterwards
    (``backtesting_predictions/<model>_prediction.feather``, which FreqUI reads): keep that.
    """

    def never_valid(length: int) -> bool:
        folder = Path(dk.full_path) / dk.backtest_predictions_folder
        dk.backtesting_results_path = folder / f"{dk.model_filename}_prediction.feather"
        return False

    dk.check_if_backtest_prediction_is_valid = never_valid


#: Commands that draw a finished backtest (FreqUI's chart through the webserver's
#: ``pair_history``, ``plot-dataframe``): they show the decisions the backtest saved in
#: ``backtesting_predictions/`` instead of deciding, let alone training, again.
SHOWING_A_BACKTEST = (RunMode.WEBSERVER, RunMode.PLOT)
