"""One module per `testbots` subcommand; `botruntime.cli` imports them on demand."""
