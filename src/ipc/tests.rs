//! -l over shmem: two channels, each side's half as run_once opens them
//! (ipc::open, Ends::into_halves), patterned bytes checked both ways.

use rustix::io::Errno;

use super::*;
use crate::args::{parse, Command};
use crate::sys::process::{self, Forked};

fn round_trip_channels(args: &[&str]) -> (Config, Channels) {
    match parse(args.iter().map(|a| a.as_bytes())) {
        Ok(Command::Run(config)) => {
            let channels = Channels::open(&config, true).unwrap();
            (config, channels)
        }
        other => panic!("{other:?}"),
    }
}

/// Byte `at` of round trip `trip`'s message: different in every trip,
/// so that a stale or repeated block shows too. The reply is its
/// complement.
fn trip_byte(trip: usize, at: usize) -> u8 {
    ((at % 251) as u8).wrapping_add((trip as u8).wrapping_mul(31)) ^ (at / 251) as u8
}

fn send_whole(end: &End<'_>, bytes: &[u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < bytes.len() {
        done += end.send(&bytes[done..])?;
    }
    Ok(())
}

fn receive_whole(end: &End<'_>, buffer: &mut [u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buffer.len() {
        match end.receive(&mut buffer[done..])? {
            0 => return Err(Errno::PIPE),
            n => done += n,
        }
    }
    Ok(())
}

/// The initiator's side: sends each trip's message, receives the reply
/// into a cleared buffer and checks it. The first wrong (trip, offset).
fn initiate(half: &Half<'_>, buffer: &mut [u8], trips: usize) -> Result<Option<(usize, usize)>, Errno> {
    for trip in 0..trips {
        for (at, byte) in buffer.iter_mut().enumerate() {
            *byte = trip_byte(trip, at);
        }
        send_whole(half.sending(), buffer)?;
        buffer.fill(0);
        receive_whole(half.receiving(), buffer)?;
        if let Some(at) = buffer.iter().enumerate().position(|(at, &b)| b != !trip_byte(trip, at)) {
            return Ok(Some((trip, at)));
        }
    }
    Ok(None)
}

/// The echoer's side: receives each message, checks it, and sends back
/// its complement. No allocation (it runs in a forked child too).
fn echo(half: &Half<'_>, buffer: &mut [u8], trips: usize) -> Result<Option<(usize, usize)>, Errno> {
    for trip in 0..trips {
        buffer.fill(0);
        receive_whole(half.receiving(), buffer)?;
        if let Some(at) = buffer.iter().enumerate().position(|(at, &b)| b != trip_byte(trip, at)) {
            return Ok(Some((trip, at)));
        }
        for byte in buffer.iter_mut() {
            *byte = !*byte;
        }
        send_whole(half.sending(), buffer)?;
    }
    Ok(None)
}

#[test]
fn round_trips_arrive_intact_both_ways_between_two_threads() {
    for (size, trips) in [(1, 2000), (4093, 200), (65536, 20)] {
        let total = (size * trips).to_string();
        let (config, channels) = round_trip_channels(&["-l", "-i", "shmem", "-b", &size.to_string(), "-t", &total, "2thread"]);
        let ends = open(&config, false, true, Some(&channels)).unwrap();
        let (echoer, initiator) = ends.into_halves();
        let (echoed, initiated) = std::thread::scope(|s| {
            let echoing = s.spawn(move || echo(&echoer, &mut vec![0u8; size], trips));
            let initiated = initiate(&initiator, &mut vec![0u8; size], trips);
            (echoing.join().unwrap(), initiated)
        });
        assert_eq!(echoed, Ok(None), "-b {size}: the messages, as the echoer got them (trip, offset)");
        assert_eq!(initiated, Ok(None), "-b {size}: the replies, as the initiator got them (trip, offset)");
    }
}

#[test]
fn round_trips_arrive_intact_both_ways_across_a_fork() {
    let (size, trips) = (65536, 64);
    let (config, channels) = round_trip_channels(&["-l", "-i", "shmem", "-b", "64k", "-t", "4m", "2proc"]);
    let ends = open(&config, false, true, Some(&channels)).unwrap();
    let (mut echoer, mut initiator) = ends.into_halves();
    let mut buffer = vec![0u8; size];
    match process::fork().unwrap() {
        Forked::Child => {
            // Raw system calls only: the test harness has other threads.
            initiator.drop_copy();
            echoer.watch(Peer::Parent);
            process::exit(match echo(&echoer, &mut buffer, trips) {
                Ok(None) => 0,
                Ok(Some(_)) => 1,
                Err(_) => 2,
            })
        }
        Forked::Parent(child) => {
            echoer.drop_copy();
            initiator.watch(Peer::Child(child));
            let initiated = initiate(&initiator, &mut buffer, trips);
            // (wait_for: the child signals nothing, so waitpid without
            // __WCLONE does not see it.)
            let status = process::wait_for(child);
            assert_eq!(status, Ok(process::ChildEnd::Exited(0)), "the echoer: 1 if a message arrived wrong");
            assert_eq!(initiated, Ok(None), "the replies, as the initiator got them (trip, offset)");
        }
    }
}

#[test]
fn an_echoer_sees_its_initiator_close_as_the_peer_gone() {
    let (config, channels) = round_trip_channels(&["-l", "-i", "shmem", "-b", "4", "-t", "8", "2thread"]);
    let ends = open(&config, false, true, Some(&channels)).unwrap();
    let (echoer, initiator) = ends.into_halves();
    assert!(!echoer.peer_gone(), "nothing failed yet");
    drop(initiator);
    let mut buffer = [0u8; 4];
    assert_eq!(echoer.receiving().receive(&mut buffer), Ok(0), "end of file");
    assert!(echoer.peer_gone());
    assert_eq!(echoer.receiving().receive_call(), "shmem");
}
