//! Reading a request body whole, within bounds on its size, on the memory all bodies in
//! flight may hold, and on how slowly it may arrive.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};

/// Bodies larger than this are refused before the component sees them. The component
/// refuses anything over 32 MiB itself (an inline upload is the only message that large),
/// so one more byte than that is all it needs to say so.
pub const MAX_BODY_BYTES: usize = (32 << 20) + 1;

/// Past this size a body counts as large. Every JSON-RPC message but an inline upload is far
/// smaller.
const LARGE_BODY_BYTES: usize = 1 << 20;

/// Large bodies held at once. With the in-flight cap this bounds the memory bodies take:
/// this many times 32 MiB, plus the in-flight cap times 1 MiB.
pub const MAX_LARGE_BODIES: usize = 4;

/// The slowest a body may arrive, on average: a 32 MiB upload over a link of about half a
/// megabit per second still gets through; a client dribbling bytes to hold a connection
/// does not.
const MIN_BYTES_PER_SECOND: u64 = 64 << 10;

/// Why a body was not read.
pub enum BodyError {
    TooLarge,
    /// Too many large bodies are being held already.
    Busy,
    /// The client paused longer than allowed, or was too slow overall.
    TooSlow,
    /// The client stopped sending, or the connection broke.
    Broken(String),
}

/// Reads the body, of at most `limit` bytes. A pause longer than `pause` between two pieces
/// ends it, and so does falling behind the slowest accepted rate, counted on the bytes that
/// arrived (not on the length announced, which a client could inflate to buy time).
/// Past [`LARGE_BODY_BYTES`] a permit from `large_bodies` is needed, kept in the result
/// for as long as the body is in use.
pub async fn read_body(
    mut body: Incoming,
    limit: usize,
    pause: Duration,
    large_bodies: &Arc<Semaphore>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), BodyError> {
    let declared = body.size_hint().exact();
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let expected = declared.unwrap_or(limit as u64);
    let started = Instant::now();
    let mut buffer = BytesMut::with_capacity(expected.min(LARGE_BODY_BYTES as u64) as usize);
    let mut large_permit = None;
    loop {
        // The bytes that arrived buy the time: after the first pause, the body must keep up
        // the slowest accepted rate on average, whatever length it announced.
        let earned = Duration::from_secs_f64(buffer.len() as f64 / MIN_BYTES_PER_SECOND as f64);
        let deadline = started + pause + earned;
        let next = Instant::now() + pause;
        let frame = match timeout_at(next.min(deadline), body.frame()).await {
            Err(_elapsed) => return Err(BodyError::TooSlow),
            Ok(None) => break,
            Ok(Some(Err(error))) => return Err(BodyError::Broken(error.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // Trailers mean nothing here.
        };
        if buffer.len() + data.len() > limit {
            return Err(BodyError::TooLarge);
        }
        if large_permit.is_none() && buffer.len() + data.len() > LARGE_BODY_BYTES {
            let permit = large_bodies
                .clone()
                .try_acquire_owned()
                .map_err(|_| BodyError::Busy)?;
            large_permit = Some(permit);
            // Once, to the declared size: growing by doubling would briefly hold twice it.
            buffer.reserve((expected as usize).saturating_sub(buffer.len()));
        }
        buffer.extend_from_slice(&data);
    }
    Ok((buffer.freeze(), large_permit))
}
