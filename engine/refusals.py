"""The engine's refusals keep their sentence as a %-style ``template`` with named ``params``,
as the application's do, so that a page can say them in the reader's language while
``str()`` stays the English sentence for the CLI and logs."""


def english(template, params):
    """The sentence with its values put in."""
    return template % params if params else template


class Refusal(Exception):
    """Something the engine will not do or accept, said as a template with its values."""

    def __init__(self, template, **params):
        super().__init__(template)
        self.template, self.params = template, params

    def __str__(self):
        return english(self.template, self.params)
