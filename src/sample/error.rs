//! Why sampling could not be done.

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("sample rate {rate} is out of range: give a fraction above 0 and at most 1 (e.g. --sample 0.2 for 20%)")]
    Rate { rate: f64 },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
}
