"""What two or more rules use. Imports no rule."""
