"""The message banner over a window's page: the same layout for the main and the manager's
window, the banner hidden until there is something to say, the page taking the rest."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget
from pytestqt.qtbot import QtBot

from riskscreen.ui.main_window import MainWindow
from riskscreen.ui.manager.controller import ManagerWindow
from riskscreen.ui.widgets import MessageBanner, banner_over


def _edges(window: QMainWindow, banner: QWidget, page: QWidget) -> None:
    central = window.centralWidget()
    assert banner.parentWidget() is central
    assert page.parentWidget() is central
    if banner.isVisible():
        assert banner.geometry().top() == 0
        assert page.geometry().top() == banner.geometry().bottom() + 1
        assert banner.width() == central.width()
    else:
        assert page.geometry().top() == 0
    assert page.geometry().bottom() == central.height() - 1
    assert page.width() == central.width()


def test_banner_over_puts_the_banner_above_the_page_edge_to_edge(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    banner, page = QLabel("A problem"), QWidget()
    banner.setVisible(False)
    banner_over(window, banner, page)
    window.resize(600, 400)
    window.show()
    qtbot.waitExposed(window)
    _edges(window, banner, page)
    banner.setVisible(True)
    qtbot.waitUntil(lambda: page.geometry().top() > 0)
    _edges(window, banner, page)


def _both_windows(qtbot: QtBot, tmp_path: Path) -> tuple[MainWindow, ManagerWindow]:
    """The main window and the manager's window, shown at 900x500."""
    main = MainWindow(QSettings(f"{tmp_path}/s.ini", QSettings.Format.IniFormat))
    manager = ManagerWindow()
    for window in (main, manager):
        qtbot.addWidget(window)
        window.resize(900, 500)
        window.show()
        qtbot.waitExposed(window)
    return main, manager


def test_the_main_and_the_manager_window_share_the_banner_layout(
        qtbot: QtBot, tmp_path: Path) -> None:
    main, manager = _both_windows(qtbot, tmp_path)
    _edges(main, main.banner, main.stack)
    _edges(manager, manager.banner, manager.scroll_area)  # the tabs scroll inside it
    main.show_message("Something went wrong; try again.")
    manager.show_message("Something went wrong; try again.")
    qtbot.waitUntil(lambda: main.stack.geometry().top() > 0
                    and manager.scroll_area.geometry().top() > 0)
    _edges(main, main.banner, main.stack)
    _edges(manager, manager.banner, manager.scroll_area)


def test_both_windows_show_one_dismissable_message_banner(qtbot: QtBot, tmp_path: Path) -> None:
    for window in _both_windows(qtbot, tmp_path):
        banner = window.banner
        assert isinstance(banner, MessageBanner)
        assert not banner.isVisible()
        window.show_message("The file could not be written: the disk is full.")
        assert banner.isVisible()
        assert banner.text.text() == "The file could not be written: the disk is full."
        qtbot.mouseClick(banner.dismiss, Qt.MouseButton.LeftButton)
        assert not banner.isVisible()
        assert banner.text.text() == ""
