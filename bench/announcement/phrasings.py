"""What the generated meetings say about recording, written before evidence/announcement.py's patterns
were tuned. UNSEEN holds phrasings deliberately kept out of the patterns: the benchmark's recall on
them is what a new way of saying it costs. DECOYS use "record" in its other senses."""

# Said by the parent (or whoever records): recording announced.
ANNOUNCE = [
    "Just so you know, I am going to record this meeting.",
    "I'll be recording this meeting on my phone.",
    "This meeting is being recorded.",
    "I have started recording this conversation.",
    "I want to let you know that I am recording this.",
    "Before we start, I'm recording this meeting for my own notes.",
    "I'm taping this, by the way.",
    "We are recording today's meeting so there is an accurate account.",
]

# Permission asked, followed by an answer from someone else.
ASK = [
    "Is it okay if I record this meeting?",
    "Do you mind if I record our conversation?",
    "Can I record this, please?",
    "Would you mind being recorded today?",
    "Are you happy for me to record this meeting?",
    "Is everyone all right with me recording this?",
]
GIVE = ["Yes, that's fine.", "Sure, go ahead.", "No, I don't mind.", "That's fine with me.", "Okay, yes."]
REFUSE = ["No, I'd rather you didn't.", "I'm not comfortable with that.", "No, I don't want to be recorded.",
          "Please don't record this meeting."]

# Phrasings kept out of the patterns (written before tuning; never added to them).
UNSEEN = [
    "My phone is capturing audio of this whole conversation, just so you are aware.",
    "I have put my dictaphone on the table and it is running.",
    "For my own peace of mind I will keep an audio copy of today.",
    "Would you object to me keeping a sound file of this chat?",
    "Everything we say now is going onto my voice memo app.",
    "I'm making an audio log of what we discuss.",
    "Heads up, the mic on my phone is on for this.",
    "I would like a sound copy of this meeting, if you agree.",
]

# "Record" in other senses, and talk of notes and minutes.
DECOYS = [
    "The records show that she missed three appointments.",
    "For the record, I did ring the office.",
    "Her school record has improved this term.",
    "We will record your views in the minutes.",
    "Please make sure my views are recorded.",
    "I want my objection to be recorded in the minutes.",
    "He has a clean record with the police.",
    "The health visitor's records were sent over last week.",
    "It was recorded as a missed visit.",
    "I have kept a record of every phone call.",
    "Can you record that in the plan?",
    "The attendance record is on file.",
    "Off the record, things have been difficult.",
    "Did you record the decision?",
    "The medical records are with the doctor.",
    "I'll make a note of that for the file.",
]

# Said at the opening, before any discussion.
OPENERS = ["Right, shall we start?", "Thank you for coming in today.", "Hello, thanks for making the time.",
           "Good morning, everyone."]

# Said to a person who has just come in.
GREET = ["Sorry I'm late, the traffic was terrible.", "Hello, sorry to keep you waiting.",
         "Hi, I'm the family support worker."]
REASK = ["Just to let you know, this meeting is being recorded.", "Is it okay with you if I keep recording?",
         "Before we go on, I'm recording this, is that all right?"]
