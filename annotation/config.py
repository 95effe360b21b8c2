"""The review interface annotators see in Label Studio."""
LETTERS = "ABCDEFGHIJ"

LABEL_CONFIG = """<View>
  <Header value="$question_type · $source"/>
  <Image name="image" valueList="$images" maxWidth="720px"/>
  <Text name="question" value="$question"/>
  <Text name="options" value="$options_text"/>
  <Header value="Proposed answer: $answer" size="5"/>
  <Choices name="verdict" toName="question" choice="single-radio" required="true" showInline="true">
    <Choice value="accept"/><Choice value="reject"/><Choice value="edit"/>
  </Choices>
  <Header value="Correct answer (if not the proposed one)" size="6"/>
  <Choices name="answer" toName="question" choice="single-radio" showInline="true">
    """ + "".join(f'<Choice value="{l}"/>' for l in LETTERS) + """
  </Choices>
  <TextArea name="reason" toName="question" placeholder="Why reject?" rows="2"/>
  <TextArea name="edited_question" toName="question" placeholder="Edited question (edit only)" rows="3"/>
  <TextArea name="edited_options" toName="question" placeholder="Edited options, one per line: A: text" rows="5"/>
  <Header value="Taxonomy labels (correct any that are wrong below)" size="6"/>
  <Text name="tagger_labels" value="$labels_text"/>
  <TextArea name="labels" toName="question" placeholder="Label corrections, e.g. modality=mod.ct anatomy=ana.lung" rows="1"/>
  <TextArea name="comment" toName="question" placeholder="Comment" rows="2"/>
</View>"""
