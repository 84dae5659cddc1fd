"""The sandbox (``python -m bot sandbox``) and the Slack stand-in it runs against.

Nothing here is the product: it is the whole bot run in a terminal, with a sample clinic
(``clinic``, ``seed``, ``setup``), what it prints (``listing``, ``render``), and a local
imitation of Slack's Web API and Socket Mode (``standin``, ``standin_websocket``) that tests and
the sandbox both use. The product never imports this package.
"""
