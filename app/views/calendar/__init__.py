"""Calendar mode of the main window: views (day, work week, week, month, agenda), the event dialog, the
scheduling assistant and the mode switch (:func:`register_mode`), installed by :func:`install_calendar`."""

from app.views.calendar.install import CalendarUi, install_calendar
from app.views.calendar.modes import register_mode, show_mode

__all__ = ["CalendarUi", "install_calendar", "register_mode", "show_mode"]
