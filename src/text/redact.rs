//! placeholder until the output owner writes it
