"""Definition files shipped inside the package (mapped from forms/, scoring/, resources/)."""
