"""Models of the communications app, one module per area.

contacts, reviews and reminders belong to the contact/review/reminder work;
feedback (feedback forms, complaints) is its own module.
"""

from .contacts import *  # noqa: F401,F403
from .reviews import *  # noqa: F401,F403
from .reminders import *  # noqa: F401,F403
from .feedback import *  # noqa: F401,F403
