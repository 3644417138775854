"""Qt's own texts in Chinese: the standard buttons (确定, 取消), the print and file dialogs, the
context menus of text fields. PySide6 ships Qt's translations; they are loaded at start."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger("hall.ui")

# qtbase holds the widgets' and dialogs' texts; qt_zh_CN is the umbrella catalog (it pulls in
# the other modules' catalogs that are installed).
CATALOGS = ("qtbase_zh_CN", "qt_zh_CN")
_warned: set[str] = set()


def translations_dir() -> str:
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def install_chinese_translations(
    app: QCoreApplication, folder: str | None = None
) -> list[QTranslator]:
    """Make Chinese (China) the default locale and install Qt's Chinese catalogs on ``app``
    (once per application). A missing catalog is logged once and skipped: Qt's own texts then
    stay in English, nothing else changes. Returns the translators installed now."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    folder = folder or translations_dir()
    installed = []
    for catalog in CATALOGS:
        name = f"hall-translation-{catalog}"
        if app.findChild(QTranslator, name) is not None:
            continue  # already installed on this application
        translator = QTranslator()
        if not translator.load(catalog, folder):
            if catalog not in _warned:
                _warned.add(catalog)
                log.warning(
                    "Qt translation %s.qm not found in %s: Qt's own dialogs stay in English",
                    catalog,
                    folder,
                )
            continue
        translator.setParent(app)  # lives as long as the application
        translator.setObjectName(name)
        app.installTranslator(translator)
        installed.append(translator)
    return installed
